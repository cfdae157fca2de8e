/** A failure with its HTTP status; the app turns it into an error page. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: [string, string][];
  /** true when the body was not read to its end: the connection must not be reused */
  readonly closeConnection: boolean;
  constructor(
    status: number,
    message: string,
    opts: { headers?: [string, string][]; closeConnection?: boolean } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = opts.headers ?? [];
    this.closeConnection = opts.closeConnection ?? false;
  }
}
