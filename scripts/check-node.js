// Runs first in `npm ci` and `npm install` (the preinstall script). It checks the Node that runs npm itself, which
// decides which optional native packages npm installs: under a Node older than the test tools support, npm skips
// their bindings without an error and `npm test` later dies with "Cannot find native binding". Written for any
// Node, old ones included.
const MINIMUM = [20, 19];

// npm tells its scripts which Node runs it; `process.version` is the Node on the scripts' PATH, which after the
// install is the `node` devDependency's Node 24.
const agent = process.env.npm_config_user_agent || '';
const match = /\bnode\/v(\d+)\.(\d+)\.(\d+)/.exec(agent);
const version = match ? match.slice(1).map(Number) : process.versions.node.split('.').map(Number);
const tooOld = version[0] < MINIMUM[0] || (version[0] === MINIMUM[0] && version[1] < MINIMUM[1]);

if (tooOld) {
  console.error(
    [
      '',
      `npm is running on Node ${version.join('.')}; this project needs Node ${MINIMUM.join('.')} or newer to install.`,
      "Debian 13's nodejs package is 20.19 and works as it is. On Debian 12 (Node 18), put Node 24 first on PATH:",
      '  npm install -g node@24 && hash -r     (installs Node 24 from the npm registry into /usr/local/bin)',
      'or use any Node 20.19+ build. The tests themselves always run on Node 24, which npm ci installs.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
