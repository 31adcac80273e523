#!/usr/bin/env node
// The jaegis command from the repository root (npm start, tests): the CLI package's own bin, cli/bin/jaegis.js.
import '../cli/bin/jaegis.js'
