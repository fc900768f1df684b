// Builtin family "semver": not written yet.
export {};
