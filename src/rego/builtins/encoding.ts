// Builtin family "encoding": not written yet.
export {};
