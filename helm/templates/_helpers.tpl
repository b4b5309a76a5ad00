{{/*
Names, labels and the checks of the chart's values that one value alone cannot express
(values.schema.json checks each value).
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "scim-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full resource name: fullnameOverride, or the release name followed by the chart name unless it contains it. */}}
{{- define "scim-bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "scim-bridge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "scim-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the bridge's pods. */}}
{{- define "scim-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scim-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "scim-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "scim-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret whose keys are mounted as files under /run/secrets/scim-bridge. */}}
{{- define "scim-bridge.secretName" -}}
{{- default (include "scim-bridge.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* The ConfigMap holding the mapping file; empty = no mapping file (the default mapping). */}}
{{- define "scim-bridge.mappingConfigMapName" -}}
{{- if .Values.mapping.existingConfigMap }}
{{- .Values.mapping.existingConfigMap }}
{{- else if .Values.mapping.content }}
{{- printf "%s-mapping" (include "scim-bridge.fullname" .) }}
{{- end }}
{{- end }}

{{/* The claim mounted at /data; empty = an emptyDir (PostgreSQL, or persistence disabled). */}}
{{- define "scim-bridge.claimName" -}}
{{- if and .Values.persistence.enabled (not .Values.database.enabled) }}
{{- default (printf "%s-data" (include "scim-bridge.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}
{{- end }}

{{/* "true" when static SCIM tokens are configured (else the bridge generates one under /data). */}}
{{- define "scim-bridge.hasScimTokens" -}}
{{- if or .Values.existingSecret .Values.auth.scimTokens }}true{{ end }}
{{- end }}

{{/* "true" when there can be more than one pod at a time. */}}
{{- define "scim-bridge.multiplePods" -}}
{{- if or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{/* The preStop pause, then the SIGTERM drain (SHUTDOWN_TIMEOUT_MS, rounded up to seconds), plus 10 seconds, so the drain ends before SIGKILL. */}}
{{- define "scim-bridge.terminationGracePeriodSeconds" -}}
{{- add (int .Values.preStopSleepSeconds) (div (add (int64 .Values.shutdownTimeoutMs) 999) 1000) 10 }}
{{- end }}

{{/* Fails the render on combinations of values the bridge cannot run with. */}}
{{- define "scim-bridge.validate" -}}
{{- if and (not .Values.database.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail "replicaCount > 1 needs PostgreSQL: set database.enabled=true and database.url (or key database-url of existingSecret). The SQLite file belongs to one process." }}
{{- end }}
{{- if and (not .Values.database.enabled) .Values.autoscaling.enabled }}
{{- fail "autoscaling.enabled needs PostgreSQL: set database.enabled=true and database.url (or key database-url of existingSecret). The SQLite file belongs to one process." }}
{{- end }}
{{- if and .Values.database.enabled (not (include "scim-bridge.hasScimTokens" .)) }}
{{- fail "database.enabled needs SCIM tokens: set auth.scimTokens (or key scim-tokens of existingSecret); a generated token would exist on one pod only." }}
{{- end }}
{{- if not .Values.existingSecret }}
{{- if and .Values.database.enabled (not .Values.database.url) }}
{{- fail "database.enabled needs database.url (postgres://user:password@host:5432/db) or existingSecret with key database-url." }}
{{- end }}
{{- if and .Values.dynatrace.accountUuid (not .Values.dynatrace.clientSecret) }}
{{- fail "dynatrace.accountUuid needs dynatrace.clientSecret (or existingSecret with key dt-client-secret)." }}
{{- end }}
{{- if and .Values.davisAssistant.enabled (not .Values.davisAssistant.token) }}
{{- fail "davisAssistant.enabled needs davisAssistant.token (or existingSecret with key davis-assistant-token)." }}
{{- end }}
{{- if and .Values.metrics.requireToken (not .Values.metrics.token) }}
{{- fail "metrics.requireToken needs metrics.token (or existingSecret with key metrics-token)." }}
{{- end }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "serviceMonitor.enabled needs metrics.enabled." }}
{{- end }}
{{- end }}
