-- Argo CD health of a modelguardian.dev/v1alpha1 ModelMonitor: the health of the model it watches.
--
-- The operator writes everything read here (src/domain/monitor/monitor-health.ts, src/domain/monitor/lifecycle.ts
-- and the status schema in src/api/v1alpha1/modelmonitor.ts); docs/operations/gitops.md, explains the
-- mapping. Argo CD runs this without Lua's string and math libraries (useOpenLibs is off by
-- default), so it uses only the base library: no string methods, no patterns.
--
--   not evaluated yet, or an older generation evaluated             Progressing
--   Ready False InvalidSpec                                         Degraded
--   spec.suspend                                                    Suspended
--   health Critical                                                 Degraded
--   with spec.serving, a changed spec.model.version not serving yet:
--     its rollout RollingBack, RolledBack or Aborted                Degraded
--     its rollout Paused                                            Suspended
--     its rollout on its way                                        Progressing
--   health Unknown, a query a person must fix (rejected PromQL,
--     unauthorized, several series, unusable data)                  Degraded
--   health Unknown otherwise (no data yet, too few samples,
--     Prometheus unreachable or slow: the operator retries)         Progressing
--   health Warning                                                  Healthy (message says Warning)
--   health Healthy                                                  Healthy
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

-- the first finding of this severity, in the operator's order (worst first is not guaranteed)
local function finding(status, severity)
  local list = field(status, "findings")
  if type(list) ~= "table" then
    return nil
  end
  for _, f in ipairs(list) do
    if field(f, "severity") == severity then
      return f
    end
  end
  return nil
end

-- signal errors that retrying does not cure: the spec (or its Secret) must change
local NEEDS_A_FIX = {
  QueryRejected = true,
  QueryUnauthorized = true,
  CredentialsNotAllowed = true,
  SecretNotFound = true,
  MultipleSeries = true,
  InvalidData = true,
}

local function signalNeedingAFix(status)
  local list = field(status, "signals")
  if type(list) ~= "table" then
    return nil
  end
  for _, s in ipairs(list) do
    -- the overall value only: a segment without data is not the monitor's failure
    if field(s, "segment") == nil and field(s, "state") == "Error" and NEEDS_A_FIX[field(s, "reason")] then
      return s
    end
  end
  return nil
end

-- With spec.serving, a changed spec.model.version is rolled out, not switched to: until the
-- declared version serves (status.stableVersion), the monitor's rollout of it is the state of
-- what Git asks for. A rollout of a retraining Job's candidate is not: it has its own health.
local function declaredVersionRollout(status)
  local spec = field(obj, "spec")
  local declared = field(field(spec, "model"), "version")
  if field(spec, "serving") == nil or type(declared) ~= "string" or declared == field(status, "stableVersion") then
    return nil
  end
  local rollout = field(status, "rollout")
  if field(rollout, "candidate") ~= declared then
    return nil
  end
  return rollout
end

local status = field(obj, "status")
local generation = field(field(obj, "metadata"), "generation")
local observed = field(status, "observedGeneration")

if type(observed) ~= "number" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to evaluate the monitor"
  return hs
end
if type(generation) == "number" and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation .. " (status is of generation " .. observed .. ")"
  return hs
end

local ready = condition(status, "Ready")
if field(ready, "status") == "False" and field(ready, "reason") == "InvalidSpec" then
  hs.status = "Degraded"
  hs.message = "InvalidSpec: " .. text(field(ready, "message"), "the operator refused the spec")
  return hs
end

if field(field(obj, "spec"), "suspend") == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: the monitor is not evaluated"
  return hs
end

local health = field(status, "health")

if health == "Critical" then
  hs.status = "Degraded"
  hs.message = "Critical: " .. text(field(finding(status, "critical"), "description"), text(field(status, "worstFinding"), "a critical finding"))
  return hs
end

local declared = declaredVersionRollout(status)
if declared ~= nil then
  local phase = text(field(declared, "phase"), "Pending")
  local serving = text(field(status, "stableVersion"), "the stable version")
  local what = "spec.model.version " .. field(declared, "candidate") .. " (rollout " .. text(field(declared, "name"), "?") .. ")"
  if phase == "RollingBack" or phase == "RolledBack" or phase == "Aborted" then
    hs.status = "Degraded"
    hs.message = what .. " " .. phase .. ": " .. serving .. " serves"
  elseif phase == "Paused" then
    hs.status = "Suspended"
    hs.message = what .. " Paused: " .. serving .. " serves"
  else
    local weight = field(declared, "weight")
    hs.status = "Progressing"
    hs.message = what .. " " .. phase
    if type(weight) == "number" then
      hs.message = hs.message .. " at " .. weight .. " %"
    end
    hs.message = hs.message .. ": " .. serving .. " serves"
  end
  return hs
end

if health == "Warning" then
  hs.status = "Healthy"
  hs.message = "Warning: " .. text(field(finding(status, "warning"), "description"), text(field(status, "worstFinding"), "a warning finding"))
  return hs
end

if health == "Healthy" then
  hs.status = "Healthy"
  hs.message = "Healthy: " .. text(field(status, "summary"), "every check within its thresholds")
  return hs
end

if health == "Unknown" then
  local broken = signalNeedingAFix(status)
  if broken ~= nil then
    hs.status = "Degraded"
    hs.message = "No verdict, " .. field(broken, "reason") .. ": " .. text(field(broken, "name"), "a signal") .. ": " .. text(field(broken, "message"), "the query failed")
    return hs
  end
  local metrics = condition(status, "MetricsAvailable")
  hs.status = "Progressing"
  local judged = condition(status, "RulesJudged")
  if field(metrics, "status") == "False" then
    hs.message = "No verdict yet (" .. text(field(metrics, "reason"), "NoData") .. "): " .. text(field(metrics, "message"), "not every signal has a value")
  elseif field(judged, "status") == "False" then
    -- every signal has a value, but a rule could not run (e.g. its baseline window predates the model)
    hs.message = "No verdict yet (" .. text(field(judged, "reason"), "NoBaseline") .. "): " .. text(field(judged, "message"), "not every rule could be judged")
  else
    hs.message = "No verdict yet: " .. text(field(ready, "message"), "health Unknown")
  end
  return hs
end

hs.status = "Progressing"
hs.message = "Waiting for the first evaluation"
return hs
