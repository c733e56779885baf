// Composition root of the agent: the only file that reads process.platform and picks adapters.
process.stdout.write('mynumber-guard agent: not wired yet\n');
