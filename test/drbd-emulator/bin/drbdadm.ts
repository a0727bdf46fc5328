/** Emulated drbdadm: the real drbdadm 9.22 over the emulated drbdsetup/drbdmeta (see README.md). */
import { drbdadm } from '../drbdadm.js';

process.exitCode = drbdadm(process.argv.slice(2));
