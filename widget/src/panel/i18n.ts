import { isZh } from "../shared";

const en = {
  title: "Support",
  subtitle: "Assistant · usually answers at once",
  close: "Close chat",
  messages: "Conversation",
  placeholder: "Type a message…",
  inputLabel: "Your message",
  send: "Send",
  stop: "Stop answering",
  footer: "AI assistant · a person can take over",
  footerHandoff: "A person from our team will reply here",
  thinking: "Thinking…",
  sending: "Sending…",
  notSent: "Not sent.",
  replyFailed: "The answer did not come through.",
  interrupted: "The answer was cut off.",
  slow: "This is taking longer than expected.",
  stopShort: "Stop",
  restarting: "The chat is restarting — please try again in a moment.",
  moreProducts: "More products",
  retry: "Retry",
  stopped: "Stopped.",
  inStock: "In stock",
  fewLeft: (n: number) => `Only ${n} left`,
  outOfStock: "Out of stock",
  handoff: "A person from our team will take over here. The assistant is paused.",
  hours: (h: string) => `Hours: ${h}.`,
  welcome: "Hi! I can help with products, orders, shipping and returns.",
  suggestions: "Suggested replies",
  products: "Products",
  staff: "Staff",
  assistantSays: "Assistant: ",
  staffSays: "Staff: ",
  rateLimited: "Too many messages — please wait a moment.",
  tooLong: "That message is too long.",
  disabled: "Chat is switched off right now.",
  offline: "Can't reach the chat. Check your connection.",
  loadFailed: "Couldn't load the conversation.",
  reconnecting: "Reconnecting…",
};

export type Texts = typeof en;

const zh: Texts = {
  title: "在线客服",
  subtitle: "智能客服 · 即时回复",
  close: "关闭聊天",
  messages: "对话",
  placeholder: "输入消息…",
  inputLabel: "您的消息",
  send: "发送",
  stop: "停止回答",
  footer: "AI 智能客服 · 可转人工",
  footerHandoff: "人工客服将在此回复您",
  thinking: "正在思考…",
  sending: "发送中…",
  notSent: "发送失败。",
  replyFailed: "回复未能送达。",
  interrupted: "回复被中断了。",
  slow: "回复时间比预期的长。",
  stopShort: "停止",
  restarting: "客服系统正在重启，请稍后再试。",
  moreProducts: "更多商品",
  retry: "重试",
  stopped: "已停止。",
  inStock: "现货",
  fewLeft: (n: number) => `仅剩 ${n} 件`,
  outOfStock: "暂时缺货",
  handoff: "已为您转接人工客服，请稍候。AI 助手已暂停回复。",
  hours: (h: string) => `服务时间：${h}。`,
  welcome: "您好！我可以帮您找商品、查订单、了解配送和退换货。",
  suggestions: "快捷回复",
  products: "商品",
  staff: "人工客服",
  assistantSays: "客服：",
  staffSays: "人工客服：",
  rateLimited: "消息太频繁，请稍后再试。",
  tooLong: "消息太长了。",
  disabled: "在线客服暂时关闭。",
  offline: "无法连接客服，请检查网络。",
  loadFailed: "无法加载对话。",
  reconnecting: "正在重新连接…",
};

/** zh, zh-hans, zh-CN … get Chinese; anything else English (the contract's default). */
export function texts(lang: string | undefined): Texts {
  return isZh(lang) ? zh : en;
}

export function locale(lang: string | undefined): string {
  return isZh(lang) ? "zh-CN" : "en-US";
}
