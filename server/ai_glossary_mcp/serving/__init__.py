"""MCP adapters: the tool/resource/prompt server, stdio and HTTP transports, reload."""
