import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    upstreamUrl: string;
    proxyUrl: string;
    upstreamToken: string;
    receiverUrl: string;
    /** The wire server's connection string, or a real cluster's (MONGODB_URI). */
    mongodbUri: string;
    /** The wire server's fault controls; empty against a real cluster. */
    mongodbControl: string;
  }
}
