import type { HostFacts } from './model';

/** Port: reads facts about the terminal. Never throws for a missing fact; it reports `null`. */
export interface HostFactsReader {
  readHostFacts(): Promise<HostFacts>;
}
