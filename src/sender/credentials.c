/* credentials.c — reading the host's credentials file (YAML) and the validate answer
 * (JSON): the parsers behind account resolution, free of any network code. */
#include "config.h"
#include "credentials.h"
#include "credsnap.h"
#include "compat.h"
#include "fsutil.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>
#include <zlib.h>

#define MAX_CREDENTIALS CREDSNAP_MAX_BYTES

/* The value under key in a YAML mapping node, or NULL. */
static yaml_node_t *mapping_get(yaml_document_t *doc, yaml_node_t *map, const char *key, size_t key_len)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);
		if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == key_len &&
		    memcmp(k->data.scalar.value, key, key_len) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

char *credentials_yaml_lookup(const char *text, size_t len, const char *dotted)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	char *result = NULL;
	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_parser_delete(&parser);
		return NULL;
	}
	yaml_node_t *node = yaml_document_get_root_node(&doc);
	const char *p = dotted;
	while (node && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		node = mapping_get(&doc, node, p, n);
		p += n + (dot ? 1 : 0);
	}
	if (node && node->type == YAML_SCALAR_NODE && node->data.scalar.length > 0 &&
	    memchr(node->data.scalar.value, '\0', node->data.scalar.length) == NULL)
		result = xstrndup((const char *)node->data.scalar.value, node->data.scalar.length);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return result;
}

char *credentials_json_lookup(const char *text, size_t len, const char *dotted)
{
	json_t *doc = json_loadb(text, len, 0, NULL);
	json_t *node = doc;
	const char *p = dotted;
	while (node && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char *key = xstrndup(p, n);
		node = json_is_object(node) ? json_object_get(node, key) : NULL;
		free(key);
		p += n + (dot ? 1 : 0);
	}
	char *result = NULL;
	if (json_is_string(node) && json_string_length(node) > 0 && json_string_length(node) <= 200 &&
	    !memchr(json_string_value(node), '\0', json_string_length(node)))
		result = xstrdup(json_string_value(node));
	else if (json_is_integer(node))
		result = xasprintf("%lld", (long long)json_integer_value(node));
	json_decref(doc);
	return result;
}

char *credentials_fingerprint(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	if (fs_read_file(path, MAX_CREDENTIALS, &text, &len) != 0)
		return NULL;
	unsigned long crc = crc32(0L, (const Bytef *)text, (uInt)len);
	free(text);
	return xasprintf("%08lx-%zx", crc, len);
}

char *credentials_url(const char *item, const char *base)
{
	bool is_path = item[0] == '/';
	if (base && url_is_http(base) &&
	    !strpbrk(base, " \t\r\n?#")) {
		const char *path = item;
		if (!is_path) { /* the path of https://host[:port]/path */
			const char *host = strstr(item, "://") + 3;
			path = host + strcspn(host, "/");
		}
		size_t bl = strlen(base);
		while (bl > 0 && base[bl - 1] == '/')
			bl--;
		return xasprintf("%.*s%s", (int)bl, base, path);
	}
	return is_path ? NULL : xstrdup(item);
}

int credentials_read_file(const struct conf *cfg, const char *path, struct credentials *c, char **why)
{
	char *text = NULL;
	size_t len = 0;
	memset(c, 0, sizeof *c);
	*why = NULL;
	if (fs_read_file(path, MAX_CREDENTIALS, &text, &len) != 0) {
		*why = xasprintf("cannot read '%s'", path);
		return -1;
	}
	size_t n_paths = 0, n_urls = 0;
	char **paths = list_split(cfg->auth_key_path, &n_paths);
	char **urls = list_split(cfg->auth_validate_url, &n_urls);
	size_t found = 0;
	for (; found < n_paths && !c->key; found++)
		if ((c->key = credentials_yaml_lookup(text, len, paths[found])) != NULL)
			c->key_path = xstrdup(paths[found]);
	if (c->key && n_urls > 0) {
		char *base = cfg->auth_validate_url_path ? credentials_yaml_lookup(text, len, cfg->auth_validate_url_path) : NULL;
		c->url = credentials_url(urls[found - 1 < n_urls ? found - 1 : n_urls - 1], base);
		free(base);
	}
	if (!c->key)
		*why = xasprintf("no key at '%s' in '%s'", cfg->auth_key_path, cfg->auth_credentials_file);
	else if (!c->url)
		*why = xasprintf("no base URL at '%s' in '%s'", cfg->auth_validate_url_path ? cfg->auth_validate_url_path : "(validate_url_path)",
		                 cfg->auth_credentials_file);
	list_free(paths);
	list_free(urls);
	compat_wipe(text, len);
	free(text);
	if (*why) {
		credentials_free(c);
		return -1;
	}
	return 0;
}

void credentials_free(struct credentials *c)
{
	if (c->key) {
		compat_wipe(c->key, strlen(c->key));
		free(c->key);
	}
	free(c->key_path);
	free(c->url);
	memset(c, 0, sizeof *c);
}
