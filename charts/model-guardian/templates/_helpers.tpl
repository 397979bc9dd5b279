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
- apiGroups: ["modelguardian.dev"]
  resources: ["modelmonitors", "retrainpolicies"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["modelguardian.dev"]
  resources: ["modelmonitors/status", "retrainpolicies/status", "modelrollouts/status"]
  verbs: ["get", "patch", "update"]
# rollouts: a monitor creates one per candidate; the operator holds a finalizer on it
- apiGroups: ["modelguardian.dev"]
  resources: ["modelrollouts"]
  verbs: ["get", "list", "watch", "create", "patch", "update"]
- apiGroups: ["modelguardian.dev"]
  resources: ["modelrollouts/finalizers"]
  verbs: ["update"]
# the fields a rollout owns on other objects: the weights of the HTTPRoute's backends or the
# VirtualService's destinations named in a monitor's spec.serving, and the model version and
# URI env vars of its two Deployments
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["networking.istio.io"]
  resources: ["virtualservices"]
  verbs: ["get", "patch"]
- apiGroups: ["serving.kserve.io"]
  resources: ["inferenceservices"]
  verbs: ["get", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
# governance reports (ModelMonitor spec.report): a ConfigMap per monitor, written by
# server-side apply (which needs create for the first write) and read back for /reports
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "create", "patch"]
# RetrainPolicy actions: the Jobs it starts (and deletes beyond the history limits), and their
# pods' termination messages (the version a retraining Job reports)
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
# a Job's owner reference to its ModelMonitor blocks the monitor's deletion until the Job is
# gone; the API server may require this permission for that
- apiGroups: ["modelguardian.dev"]
  resources: ["modelmonitors/finalizers"]
  verbs: ["update"]
{{- end -}}

{{/* leader election (LEADER_ELECT=true): the Lease only the leader holds, in the release's namespace */}}
{{- define "model-guardian.leaseRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
{{- end -}}
