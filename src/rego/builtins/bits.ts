// Builtin family "bits": not written yet.
export {};
