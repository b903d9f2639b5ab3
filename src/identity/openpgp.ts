/**
 * openpgp, for the modules of src/identity that verify and read keys: the one import of the library, which notes
 * that it was loaded (openpgp-state.ts).
 */
import * as openpgp from 'openpgp';
import { openpgpState } from './openpgp-state.js';

openpgpState.loaded = true;

export { openpgp };
