-- Runs an Argo CD health script the way Argo CD runs it, on Lua 5.1 (the semantics of Argo CD's
-- gopher-lua): a fresh environment per object holding `obj` (and an empty `actionParams`), the
-- base library, `table` and a safe `os` (time and date), and nothing else: no `string` (so no
-- string methods either), no `math`, `io` or `debug`, as when useOpenLibs is off, Argo CD's
-- default for argocd-cm customizations (util/lua/lua.go in argoproj/argo-cd).
--
-- usage: lua5.1 argocd-harness.lua <health.lua> < objects
-- stdin: a Lua expression for a list of objects (test/stage/argocd-lua.ts writes it).
-- stdout: one line per object: `ok <status> <message>`, `nil` or `error <message>`, each field
-- hex-encoded so that any byte survives.

local scriptPath = arg[1]

local function hex(s)
  return (string.gsub(s, ".", function(c)
    return string.format("%02x", string.byte(c))
  end))
end

local function reply(kind, a, b)
  local line = kind
  if a ~= nil then line = line .. " " .. hex(a) end
  if b ~= nil then line = line .. " " .. hex(b) end
  io.write(line, "\n")
end

local source = io.read("*a")
local load, loadError = loadstring("return " .. source, "=objects")
if not load then
  reply("error", "objects: " .. loadError)
  os.exit(2)
end
local objects = load()

local BASE = {
  "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "print", "rawequal",
  "rawget", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "unpack", "xpcall",
  "_VERSION",
}

local stringMeta = getmetatable("")
local stringIndex = stringMeta.__index

for i = 1, #objects do
  local chunk, err = loadfile(scriptPath)
  if not chunk then
    reply("error", err)
  else
    local env = {}
    for _, name in ipairs(BASE) do env[name] = _G[name] end
    env.table = table
    env.os = { time = os.time, date = os.date }
    env._G = env
    env.obj = objects[i]
    env.actionParams = {}
    setfenv(chunk, env)
    stringMeta.__index = nil -- ("x"):sub(1) fails, as it does without the string library
    local ok, result = pcall(chunk)
    stringMeta.__index = stringIndex
    if not ok then
      reply("error", tostring(result))
    elseif result == nil then
      reply("nil")
    elseif type(result) ~= "table" then
      reply("error", "expect table output from Lua script, not " .. type(result))
    elseif result.status ~= nil and type(result.status) ~= "string" then
      reply("error", "status is a " .. type(result.status))
    elseif result.message ~= nil and type(result.message) ~= "string" then
      reply("error", "message is a " .. type(result.message))
    else
      reply("ok", result.status or "", result.message or "")
    end
  end
end
