{{- define "model-guardian.labels" -}}
app.kubernetes.io/name: model-guardian
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
