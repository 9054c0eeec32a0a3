// A small MCP server for the tool tests, written with the official SDK (McpServer + StdioServerTransport).
// Tools: `add` (a + b), `shout` (text upper-cased), `crash` (the server exits mid-call).
// With argv[2] === 'spawn-child' it first starts a long-lived child, to check its process group is closed.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

if (process.argv[2] === 'spawn-child') {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  writeFileSync(process.argv[3], String(child.pid));
}

const server = new McpServer({ name: 'test-server', version: '1.0.0' });
server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
  content: [{ type: 'text', text: String(a + b) }],
}));
server.registerTool('shout', { description: 'Upper-cases a text', inputSchema: { text: z.string() } }, async ({ text }) => ({
  content: [{ type: 'text', text: text.toUpperCase() }],
}));
server.registerTool('crash', { description: 'Exits the server mid-call', inputSchema: {} }, async () => process.exit(1));
await server.connect(new StdioServerTransport());
