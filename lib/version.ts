/** The one version of everything we ship: package.json's. */
import pkg from '../package.json' with { type: 'json' };

export const PACKAGE_VERSION: string = pkg.version;
