// Builtin family "json": not written yet.
export {};
