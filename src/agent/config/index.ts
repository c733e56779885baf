export {
  agentConfigFileSchema,
  agentModes,
  logLevels,
  parseAgentConfigText,
  resolveAgentConfig,
  type AgentConfig,
  type AgentConfigFile,
  type AgentDefaults,
  type AgentFlags,
  type AgentMode,
  type LogLevel,
} from './agent-config';
