/**
 * A generate.chat message list (OpenAI's shape) as node-llama-cpp chat history: the system
 * messages joined in order into one system item, user turns, model turns, and an assistant's
 * tool calls with the results the `tool` messages after it carry (node-llama-cpp keeps a call
 * and its result in one function-call item). Pure: no llama objects, so it is unit tested alone.
 */
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from 'node-llama-cpp';
import type { DirectMessage } from '../../shared/schemas/generate';
import { BurrowError } from '../../shared/errors';

export interface DirectHistory {
  /** The history to answer, ending with the model's (empty or tool-call-holding) turn to continue. */
  chatHistory: ChatHistoryItem[];
  /** Whether the history holds tool calls (the chat template must then support functions). */
  hasToolCalls: boolean;
}

const invalid = (message: string): BurrowError => new BurrowError('invalid_input', message);

export function toDirectHistory(messages: readonly DirectMessage[]): DirectHistory {
  const last = messages.at(-1);
  if (last === undefined || (last.role !== 'user' && last.role !== 'tool')) {
    throw invalid('The last message must be the user’s (or a tool result): there is nothing for the model to answer.');
  }
  const system = messages.flatMap((message) => (message.role === 'system' ? [message.text] : []));
  const chatHistory: ChatHistoryItem[] = system.length > 0 ? [{ type: 'system', text: system.join('\n\n') }] : [];
  /** Calls of the latest assistant turn still waiting for their result, by id. */
  let open = new Map<string, ChatModelFunctionCall>();
  let hasToolCalls = false;
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        break;
      case 'user':
        assertAnswered(open);
        open = new Map();
        chatHistory.push({ type: 'user', text: message.text });
        break;
      case 'assistant': {
        assertAnswered(open);
        open = new Map();
        const response: ChatModelResponse['response'] = message.text.length > 0 ? [message.text] : [];
        for (const call of message.toolCalls ?? []) {
          hasToolCalls = true;
          const item: ChatModelFunctionCall = { type: 'functionCall', name: call.name, params: parseArguments(call.arguments, call.name), result: undefined };
          if (open.has(call.id)) throw invalid(`Two tool calls share the id "${call.id}".`);
          open.set(call.id, item);
          response.push(item);
        }
        chatHistory.push({ type: 'model', response });
        break;
      }
      case 'tool': {
        const call = open.get(message.toolCallId);
        if (call === undefined) throw invalid(`A tool result answers "${message.toolCallId}", which is no call of the assistant message just before it.`);
        call.result = message.text;
        open.delete(message.toolCallId);
        break;
      }
    }
  }
  assertAnswered(open);
  // A user's turn is answered in a new model turn; after tool results the model's own turn goes on.
  if (last.role === 'user') chatHistory.push({ type: 'model', response: [] });
  return { chatHistory, hasToolCalls };
}

function assertAnswered(open: ReadonlyMap<string, ChatModelFunctionCall>): void {
  const [id] = open.keys();
  if (id !== undefined) throw invalid(`The tool call "${id}" has no tool result after it.`);
}

function parseArguments(text: string, name: string): unknown {
  if (text.trim().length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid(`The arguments of the call to "${name}" are not valid JSON.`);
  }
}
