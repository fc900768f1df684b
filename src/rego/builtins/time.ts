// Builtin family "time": not written yet.
export {};
