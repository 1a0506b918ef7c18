import type { ChildProcess } from "node:child_process";

export type Stack = { base: string; admin: string; child: ChildProcess; stop: () => void };
export function freePort(): Promise<number>;
export function startStack(extraArgs?: string[]): Promise<Stack>;
export function processTree(pid: number): number[];
export function rssBytes(pids: number[]): number;
export function cpuMicros(pids: number[]): number;
export function stopProcessTree(child: ChildProcess): void;
export type WranglerDev = { url: string; child: ChildProcess; output: () => string; stop: () => void };
export function startWranglerDev(options?: {
  vars?: Record<string, string>;
  configs?: string[];
  readyPath?: string;
  readyHeaders?: Record<string, string>;
  timeoutMs?: number;
}): Promise<WranglerDev>;
