// Builtin family "jwt": not written yet.
export {};
