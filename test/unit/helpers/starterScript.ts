import { join } from 'node:path';

/** The process starter's program as the tests compile it (the bundles hold dist/processStarter.js). */
export const STARTER_SCRIPT = join(__dirname, '..', '..', '..', 'src', 'git', 'processStarterMain.js');
