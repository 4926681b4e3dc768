/** The exit statuses of `callreplay` (dependency-free: the command line's start-up needs them). */
export const EXIT = { passed: 0, botFailed: 1, usage: 2, internal: 3, interrupted: 130 } as const;
