import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    upstreamUrl: string;
    proxyUrl: string;
    upstreamToken: string;
    receiverUrl: string;
  }
}
