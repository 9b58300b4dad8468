import { DEFAULT_SECURITY_IGNORE, DEFAULT_SECURITY_SETTINGS, type SecuritySettings } from '../../scan/security/settings';
import type { Config } from '../config';

/** `agentFactory.security.*`, read at the start of every cycle so edits apply without a reload. */
export function securitySettings(config: Pick<Config, 'number' | 'strings'>): SecuritySettings {
  return {
    maxFileSizeKB: config.number('security.maxFileSizeKB', DEFAULT_SECURITY_SETTINGS.maxFileSizeKB, 1, 1024 * 1024),
    ignore: config.strings('security.ignore', [...DEFAULT_SECURITY_IGNORE]),
  };
}
