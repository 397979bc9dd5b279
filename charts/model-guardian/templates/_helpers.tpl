{{- define "model-guardian.labels" -}}
app.kubernetes.io/name: model-guardian
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "model-guardian.selectorLabels" -}}
app.kubernetes.io/name: model-guardian
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The operator's permissions on namespaced resources: what it needs in every namespace it
watches. The ClusterRole holds them for all namespaces; with watchNamespaces, a Role in each
of those namespaces holds them instead. Kept equal to config/rbac/role.yaml, with
model-guardian.leaseRules (test/integration/chart.test.ts compares the rule sets).
*/}}
{{- define "model-guardian.namespacedRules" -}}
# its resources, cached by informers
- apiGroups: ["modelguardian.dev"]
  resources: ["modelmonitors", "retrainpolicies"]
  verbs: ["list", "watch"]
# each controller writes its part of a status by server-side apply
- apiGroups: ["modelguardian.dev"]
  resources: ["modelmonitors/status", "retrainpolicies/status", "modelrollouts/status"]
  verbs: ["patch"]
# rollouts: a monitor creates one per candidate; the operator adds and removes its finalizer
# on it by JSON patch
- apiGroups: ["modelguardian.dev"]
  resources: ["modelrollouts"]
  verbs: ["list", "watch", "create", "patch"]
# the fields a rollout owns on other objects: the weights of the HTTPRoute's backends or the
# VirtualService's destinations named in a monitor's spec.serving, the InferenceService's
# canary, and the model version and URI env vars of its two Deployments (read, then patched)
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "patch"]
- apiGroups: ["networking.istio.io"]
  resources: ["virtualservices"]
  verbs: ["get", "patch"]
- apiGroups: ["serving.kserve.io"]
  resources: ["inferenceservices"]
  verbs: ["get", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "patch"]
# an Event per decision, each a new object
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# the Secrets named by spec.source.authSecretRef and by notification webhooks
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
# governance reports (ModelMonitor spec.report): a ConfigMap per monitor, read to check it is
# the monitor's own, created, then replaced by server-side apply; read back for /reports
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "create", "patch"]
# RetrainPolicy actions: the Jobs it starts (a dry-run create validates a policy's template),
# caches, and deletes beyond the history limits; and their pods' termination messages (the
# version a retraining Job reports)
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["list", "watch", "create", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
# the Jobs and ModelRollouts it creates carry an owner reference to their ModelMonitor that
# blocks the monitor's deletion until they are gone: with the OwnerReferencesPermissionEnforcement
# admission plugin (OpenShift's default) that needs update on the monitor's finalizers
- apiGroups: ["modelguardian.dev"]
  resources: ["modelmonitors/finalizers"]
  verbs: ["update"]
{{- end -}}

{{/* leader election (LEADER_ELECT=true): the Lease only the leader holds, read, created, renewed, in the release's namespace */}}
{{- define "model-guardian.leaseRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
{{- end -}}

{{/* the CRDs are cluster-wide and outlive a release: no instance label */}}
{{- define "model-guardian.crdLabels" -}}
app.kubernetes.io/name: model-guardian
app.kubernetes.io/part-of: model-guardian
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/*
Milliseconds of a duration such as 20s or 1m30s (values.schema.json's duration), to compare
shutdownGrace with terminationGracePeriodSeconds.
*/}}
{{- define "model-guardian.durationMs" -}}
{{- $total := 0.0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ms|s|m|h)" . -1 -}}
{{- $amount := regexFind "^[0-9]+(\\.[0-9]+)?" . | float64 -}}
{{- $unit := regexFind "(ms|s|m|h)$" . -}}
{{- $total = addf $total (mulf $amount (get (dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000) $unit)) -}}
{{- end -}}
{{- $total -}}
{{- end -}}
