/**
 * Port: the udisks2 polkit rule file (`/etc/polkit-1/rules.d/10-mynumber-guard-media.rules` on
 * Linux). The agent keeps it equal to the rule rendered from the policy in force; `mng media
 * polkit remove` deletes it on uninstall. Implemented in platform/node (a plain file).
 */
export interface AutomountRuleStore {
  /** Where the rule lives, for messages and the status. */
  readonly location: string;
  /** The installed text, or null when there is no rule file. Rejects when it cannot be read. */
  read(): Promise<string | null>;
  /** Replaces the rule atomically (mode 0644: polkitd reads it as its own user). */
  write(text: string): Promise<void>;
  /** Removes the rule; resolves false when there was none. */
  remove(): Promise<boolean>;
}
