/** Base class of the dashboard's errors. */
export class DashboardError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DashboardError";
  }
}

/** A dashboard API request the server refuses; `status` is the HTTP status the page gets. */
export class DashboardRequestError extends DashboardError {
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DashboardRequestError";
    this.status = status;
  }
}
