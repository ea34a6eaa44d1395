/** What every report carries, set once. */
export interface Settings {
  /** the host CLI's name: its config and state folder */
  app?: string;
  /** a config file instead of the search */
  config?: string;
  /** the host CLI's version */
  cliVersion?: string;
  /** the usage-report binary (default "usage-report", looked up in PATH) */
  binary?: string;
  /** properties added to every event (JSON values are typed in the event) */
  properties?: Record<string, unknown>;
}

export interface ReportOptions {
  durationMs?: number;
  exitCode?: number;
  error?: string;
  errorType?: string;
  event?: string;
  properties?: Record<string, unknown>;
}

export interface CommandOptions {
  event?: string;
  properties?: Record<string, unknown>;
}

export function configure(settings: Settings): void;
export function report(command: string, options?: ReportOptions): void;
/** Run fn (sync or async), report it, and return or throw exactly what it did. */
export function track<T>(command: string, fn: () => T, options?: CommandOptions): T;
/** Wrap fn so that every call is tracked as command. */
export function command<A extends unknown[], T>(name: string, fn: (...args: A) => T, options?: CommandOptions): (...args: A) => T;
/** What login and logout carry besides the account change, as any event. */
export interface AccountFacts {
  command?: string;
  durationMs?: number;
  exitCode?: number;
  event?: string;
  properties?: Record<string, unknown>;
}
export function login(principalId?: string, facts?: AccountFacts): void;
export function logout(facts?: AccountFacts): void;
/** Persist the user's level ('errors': failed runs only); what usage-report printed, or null
 * when there is none (or it refused). */
export function level(value: 'all' | 'errors'): string | null;
/** What left the machine, newest first, and what is queued; null when there is no usage-report. */
export function history(options?: { json?: boolean; n?: number }): string | null;
/** Ask for this device's data to be deleted (disable: turn reporting off too); what
 * usage-report printed, or null (none, or reporting is off: nothing sent). */
export function forget(options?: { disable?: boolean }): string | null;
/** Report every action of a commander program through its preAction/postAction hooks. */
export function commander(program: { hook(event: string, listener: (...args: any[]) => unknown): unknown }, options?: { prefix?: string }): void;
/** The class name as usage-report's [a-z0-9_.-] kind: TypeError -> type_error. */
export function errorType(error: unknown): string;
