/** The error of a bad flow file, dependency-free so the command line can report it without loading the loader. */
export class FlowFileError extends Error {
  constructor(
    readonly file: string,
    /** JSON pointer (e.g. /steps/3/expect/path) or line:column for syntax errors */
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${file}: ${where ? `${where}: ` : ''}${detail}`);
    this.name = 'FlowFileError';
  }
}
