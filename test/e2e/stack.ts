export { startStack, type Stack } from "../../scripts/stack.mjs";
