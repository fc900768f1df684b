// Builtin family "net": not written yet.
export {};
