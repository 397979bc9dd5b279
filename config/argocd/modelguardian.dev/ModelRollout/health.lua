-- Argo CD health of a modelguardian.dev/v1alpha1 ModelRollout: one rollout of one candidate.
--
-- The operator writes phase, reason, message, pauseReason and the Ready condition
-- (src/domain/rollout/machine.ts, src/controller/modelrollout.ts); docs/operations/gitops.md, explains
-- the mapping. Base library only (Argo CD's default).
--
--   not started yet, or an older generation observed                  Progressing
--   Succeeded                                                          Healthy
--   RolledBack, Aborted (the candidate is quarantined)                 Degraded
--   RollingBack (decided: the candidate lost, traffic goes back)       Degraded
--   Ready False that a person must fix (invalid spec, strategy or
--     monitor, no spec.serving on the monitor, router forbidden, a
--     serving object without the opt-in label)                         Degraded
--   Paused; Pending waiting for a person's approval                    Suspended
--   Ready False otherwise (an object not found yet, the router
--     unavailable or changed: the operator retries)                    Progressing
--   Pending, Progressing, Promoting, Baking                            Progressing
local hs = {}

local function field(t, key)
  if type(t) == "table" then
    return t[key]
  end
  return nil
end

local function text(value, fallback)
  if type(value) == "string" and value ~= "" then
    return value
  end
  return fallback
end

local function condition(status, conditionType)
  local list = field(status, "conditions")
  if type(list) ~= "table" then
    return nil
  end
  for _, c in ipairs(list) do
    if field(c, "type") == conditionType then
      return c
    end
  end
  return nil
end

-- Ready reasons that retrying does not cure: a spec, the monitor or RBAC must change
local NEEDS_A_FIX = {
  InvalidSpec = true,
  InvalidStrategy = true,
  MonitorInvalid = true,
  NoServing = true,
  RouterForbidden = true,
  -- REQUIRE_TARGET_OPT_IN: a serving object lacks modelguardian.dev/rollout-target=true
  TargetNotOptedIn = true,
}

local status = field(obj, "status")
local generation = field(field(obj, "metadata"), "generation")
local observed = field(status, "observedGeneration")

if type(observed) ~= "number" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to start the rollout"
  return hs
end
if type(generation) == "number" and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation .. " (status is of generation " .. observed .. ")"
  return hs
end

local phase = field(status, "phase")
local reason = text(field(status, "reason"), "")
local message = text(field(status, "message"), "")
local function says(what)
  if message ~= "" then
    return what .. ": " .. message
  end
  return what
end

if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = says("Succeeded")
  return hs
end
if phase == "RolledBack" or phase == "Aborted" then
  hs.status = "Degraded"
  hs.message = says(phase .. ", candidate quarantined")
  return hs
end

local ready = condition(status, "Ready")
local readyReason = text(field(ready, "reason"), "NotReady")
local readyMessage = text(field(ready, "message"), "")
local blocked = field(ready, "status") == "False"
local function readySays()
  if readyMessage ~= "" then
    return readyReason .. ": " .. readyMessage
  end
  return readyReason
end

if blocked and NEEDS_A_FIX[readyReason] then
  hs.status = "Degraded"
  hs.message = readySays()
  return hs
end
if phase == "RollingBack" then
  hs.status = "Degraded"
  hs.message = says("RollingBack")
  return hs
end
if phase == "Paused" then
  hs.status = "Suspended"
  hs.message = says("Paused (" .. text(field(status, "pauseReason"), "Paused") .. ")")
  return hs
end
if phase == "Pending" and reason == "AwaitingApproval" then
  hs.status = "Suspended"
  hs.message = says("AwaitingApproval")
  return hs
end
if blocked then
  hs.status = "Progressing"
  hs.message = "Waiting, " .. readySays()
  return hs
end

hs.status = "Progressing"
if type(phase) == "string" then
  hs.message = says(phase)
else
  hs.message = "Waiting for the operator to start the rollout"
end
return hs
