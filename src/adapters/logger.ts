// The operator's logger: JSON lines with ISO times (not epoch milliseconds), as people and log stores read them.
import pino, { type DestinationStream, type Logger } from "pino";

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { component: "model-guardian" }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
