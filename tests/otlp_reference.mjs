// otlp_reference.mjs — the official OpenTelemetry JavaScript exporter sends the log records of
// one OTLP request again, so that a test can compare the two requests field by field.
//
// Usage: node otlp_reference.mjs MODULES REQUEST.json ENDPOINT
//   MODULES       a node_modules folder with @opentelemetry/sdk-logs, exporter-logs-otlp-http
//                 and resources (installed by the test, never a dependency of the project)
//   REQUEST.json  the ExportLogsServiceRequest usage-report sent (one resource, one scope)
//   ENDPOINT      the OTLP base URL: the records go to ENDPOINT/v1/logs, gzip'd, as JSON
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [modules, requestFile, endpoint] = process.argv.slice(2);
const require = createRequire(join(modules, 'x.js'));
const { LoggerProvider } = require('@opentelemetry/sdk-logs');
const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');

// An OTLP AnyValue back to the JavaScript value the SDK takes.
function value(v) {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values || []).map(value);
  if ('kvlistValue' in v) return Object.fromEntries((v.kvlistValue.values || []).map((kv) => [kv.key, value(kv.value)]));
  return null;
}

function attributes(list) {
  return Object.fromEntries((list || []).map((kv) => [kv.key, value(kv.value)]));
}

// "1796161902462000000" ns as [seconds, nanoseconds], exactly.
function hrTime(ns) {
  const n = BigInt(ns);
  return [Number(n / 1000000000n), Number(n % 1000000000n)];
}

const request = JSON.parse(readFileSync(requestFile, 'utf8'));
const [resourceLogs] = request.resourceLogs;
const [scopeLogs] = resourceLogs.scopeLogs;
const exporter = new OTLPLogExporter({ url: `${endpoint}/v1/logs`, compression: 'gzip' });
// every record into one export, as usage-report sends them (a processor that only collects)
const records = [];
const collect = { onEmit: (record) => records.push(record), forceFlush: async () => {}, shutdown: async () => {} };
const logger = new LoggerProvider({
  resource: resourceFromAttributes(attributes(resourceLogs.resource.attributes)),
  processors: [collect],
}).getLogger(scopeLogs.scope.name, scopeLogs.scope.version);
for (const r of scopeLogs.logRecords) {
  logger.emit({
    timestamp: hrTime(r.timeUnixNano),
    observedTimestamp: hrTime(r.observedTimeUnixNano),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: value(r.body),
    eventName: r.eventName,
    attributes: attributes(r.attributes),
  });
}
await new Promise((resolve, reject) => exporter.export(records, (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error('export failed')))));
await exporter.shutdown();
