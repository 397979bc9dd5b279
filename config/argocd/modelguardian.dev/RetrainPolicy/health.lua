-- Argo CD health of a modelguardian.dev/v1alpha1 RetrainPolicy: whether the operator accepted it.
--
-- The operator writes the Ready condition (src/domain/remediation/policy.ts): True Accepted, or
-- False with InvalidSpec or InvalidJobTemplate (the API server's dry run of a rendered Job).
-- docs/operations/gitops.md, explains the mapping. Base library only (Argo CD's default).
--
--   not checked yet, or an older generation checked      Progressing
--   Ready False (invalid spec or Job template)           Degraded
--   spec.suspend                                         Suspended
--   Ready True                                           Healthy
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

local status = field(obj, "status")
local generation = field(field(obj, "metadata"), "generation")
local observed = field(status, "observedGeneration")

if type(observed) ~= "number" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to check the policy"
  return hs
end
if type(generation) == "number" and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation .. " (status is of generation " .. observed .. ")"
  return hs
end

local ready = condition(status, "Ready")
if field(ready, "status") == "False" then
  hs.status = "Degraded"
  hs.message = text(field(ready, "reason"), "NotReady") .. ": " .. text(field(ready, "message"), "the operator refused the policy")
  return hs
end

if field(field(obj, "spec"), "suspend") == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: no new Job is started (running Jobs are still followed)"
  return hs
end

if field(ready, "status") == "True" then
  hs.status = "Healthy"
  hs.message = text(field(ready, "message"), "accepted")
  local active = field(status, "active")
  if type(active) == "number" and active > 0 then
    hs.message = hs.message .. "; " .. active .. " Job(s) running"
  end
  return hs
end

hs.status = "Progressing"
hs.message = "Waiting for the operator to check the policy"
return hs
