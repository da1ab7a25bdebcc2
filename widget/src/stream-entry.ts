/** stream-transport.js: Stream's SDK plus our mapping, fetched only for the stream engine. */
import { StreamChat } from "stream-chat";
import { type StreamChatLike, StreamTransport } from "./transport/stream";
import type { TransportConfig } from "./transport/types";

window.__chatbotStream = {
  createStreamTransport: (cfg: TransportConfig) =>
    new StreamTransport(cfg, { chat: StreamChat as unknown as StreamChatLike }),
};
