// Builtin family "comparison": not written yet.
export {};
