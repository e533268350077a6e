// A minimal OpenAI-compatible chat-completions server around node-llama-cpp,
// for lakewarden's offline LLM checks (tests and the demo). Started by
// scripts/llm-server.sh; not meant for anything else.
//
// Why not llama.cpp's own llama-server: building it costs ~10 min on the
// 2-core CI machine; node-llama-cpp ships the same engine prebuilt.
//
//   node llm-server.mjs --lib DIR --model FILE.gguf [--host 127.0.0.1] [--port 0]
//                       [--threads 1] [--ctx 2048] [--exit-with-parent PID]
//
// DIR is the npm prefix holding node_modules/node-llama-cpp. With --port 0
// the OS picks a free port; the first stdout line is `listening http://HOST:PORT`.
//
// Endpoints: GET /health (503 while loading), GET /v1/models,
// POST /v1/chat/completions (system/user/assistant messages, max_tokens,
// temperature, response_format json_schema | json_object+schema, which are
// enforced by a grammar). Requests are served one at a time: one context
// sequence on 1-2 cores gains nothing from parallel decoding.
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const libDir = arg("lib");
const modelPath = arg("model");
const host = arg("host", "127.0.0.1");
const port = Number(arg("port", "0"));
const threads = Number(arg("threads", "1"));
const contextSize = Number(arg("ctx", "2048"));
// A test harness that dies without cleaning up must not leave a 500 MB
// process behind: with --exit-with-parent PID the server exits once PID is gone.
const parentPid = Number(arg("exit-with-parent", "0"));
if (!libDir || !modelPath) {
  console.error("usage: node llm-server.mjs --lib DIR --model FILE.gguf [--host H] [--port P]");
  process.exit(2);
}

const { getLlama, LlamaChatSession } = await import(
  pathToFileURL(path.join(libDir, "node_modules/node-llama-cpp/dist/index.js")).href
);

const modelName = path.basename(modelPath).replace(/\.gguf$/, "");
let session = null;
let model = null;
let sequence = null;
let llama = null;
const grammars = new Map();
let queue = Promise.resolve();

async function load() {
  llama = await getLlama({ gpu: false, build: "never", logLevel: "error", maxThreads: threads });
  model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize, threads, sequences: 1 });
  sequence = context.getSequence();
  session = new LlamaChatSession({ contextSequence: sequence });
}

async function grammarFor(schema) {
  const key = JSON.stringify(schema);
  if (!grammars.has(key)) grammars.set(key, await llama.createGrammarForJsonSchema(schema));
  return grammars.get(key);
}

function schemaOf(responseFormat) {
  if (!responseFormat || typeof responseFormat !== "object") return null;
  if (responseFormat.type === "json_schema") return responseFormat.json_schema?.schema ?? null;
  if (responseFormat.type === "json_object") return responseFormat.schema ?? null;
  return null;
}

async function complete(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const system = messages.filter((m) => m.role === "system").map((m) => m.content).join("\n");
  const turns = messages.filter((m) => m.role !== "system");
  const last = turns.pop();
  if (!last || last.role !== "user") throw new Error("the last message must be from the user");
  const history = [];
  if (system) history.push({ type: "system", text: system });
  for (const m of turns) {
    history.push(m.role === "user" ? { type: "user", text: m.content } : { type: "model", response: [m.content] });
  }
  session.setChatHistory(history);
  const schema = schemaOf(body.response_format);
  const before = sequence.tokenMeter.getState();
  const text = await session.prompt(String(last.content), {
    maxTokens: Math.max(1, Math.min(Number(body.max_tokens ?? 256), 1024)),
    temperature: Number(body.temperature ?? 0),
    grammar: schema ? await grammarFor(schema) : undefined,
  });
  const used = sequence.tokenMeter.diff(before);
  // The meter counts only tokens evaluated, which prefix reuse makes vary
  // between identical requests; callers budget on a stable count.
  const promptTokens = model.tokenize([system, ...messages.filter((m) => m.role !== "system").map((m) => m.content)].join("\n")).length;
  return {
    id: `chatcmpl-${Date.now()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: modelName,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: used.usedOutputTokens,
      total_tokens: promptTokens + used.usedOutputTokens,
    },
  };
}

function send(res, status, obj) {
  const data = JSON.stringify(obj);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    return session ? send(res, 200, { status: "ok" }) : send(res, 503, { status: "loading" });
  }
  if (req.method === "GET" && req.url === "/v1/models") {
    return send(res, 200, { object: "list", data: [{ id: modelName, object: "model" }] });
  }
  if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
    return send(res, 404, { error: { message: "not found" } });
  }
  if (!session) return send(res, 503, { error: { message: "model is loading" } });
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(res, 400, { error: { message: "request body is not JSON" } });
    }
    queue = queue
      .then(() => complete(body))
      .then(
        (out) => send(res, 200, out),
        (err) => send(res, 400, { error: { message: String(err?.message ?? err) } }),
      );
  });
});

server.listen(port, host, () => {
  const a = server.address();
  console.log(`listening http://${a.address}:${a.port}`);
});
load().catch((err) => {
  console.error(`llm-server: cannot load ${modelPath}: ${err?.message ?? err}`);
  process.exit(1);
});
if (parentPid > 0) {
  setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      process.exit(0);
    }
  }, 500).unref();
}
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
