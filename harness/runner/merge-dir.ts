/** The environment variable naming the merged report's folder, from `callreplay merge-reports` to merge.config.ts. */
export const MERGE_DIR_ENV = 'CALLREPLAY_MERGE_DIR';
