// Builtin family "strings": not written yet.
export {};
