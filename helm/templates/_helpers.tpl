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

{{/*
Fails the render, with what to change, on combinations of values that contradict each other: the bridge could
not run with them, or would silently do something else than they say (values.schema.json checks each value alone).
*/}}
{{- define "scim-bridge.validate" -}}
{{- $dt := .Values.dynatrace }}
{{- if and (not $dt.accountUuid) (or $dt.clientId (and $dt.clientSecret (not .Values.existingSecret))) }}
{{- fail "dynatrace.clientId or dynatrace.clientSecret is set but dynatrace.accountUuid is empty: the bridge would run the in-process sandbox and provision nothing. Set dynatrace.accountUuid too, or clear all three for sandbox mode." }}
{{- end }}
{{- if and $dt.accountUuid (not $dt.clientId) }}
{{- fail "dynatrace.accountUuid is set but dynatrace.clientId is empty: set the OAuth client id (dt0s02.…) too, or clear dynatrace.accountUuid for sandbox mode." }}
{{- end }}
{{- if and (not .Values.database.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail "replicaCount > 1 needs PostgreSQL: set database.enabled=true and database.url (or key database-url of existingSecret). The SQLite file belongs to one process." }}
{{- end }}
{{- if and (not .Values.database.enabled) .Values.autoscaling.enabled }}
{{- fail "autoscaling.enabled needs PostgreSQL: set database.enabled=true and database.url (or key database-url of existingSecret). The SQLite file belongs to one process." }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas is above autoscaling.maxReplicas." }}
{{- end }}
{{- if and .Values.database.enabled .Values.persistence.existingClaim }}
{{- fail "persistence.existingClaim is set but database.enabled keeps the state in PostgreSQL and mounts no claim: clear persistence.existingClaim." }}
{{- end }}
{{- if and .Values.database.enabled (not (include "scim-bridge.hasScimTokens" .)) }}
{{- fail "database.enabled needs SCIM tokens: set auth.scimTokens (or key scim-tokens of existingSecret); a generated token would exist on one pod only." }}
{{- end }}
{{- $console := .Values.console }}
{{- $oidc := $console.oidc }}
{{- if and (include "scim-bridge.multiplePods" .) (not .Values.existingSecret) }}
{{- $missing := list }}
{{- if not .Values.operators.adminTokens }}{{ $missing = append $missing "operators.adminTokens" }}{{ end }}
{{- if not $console.sessionSecret }}{{ $missing = append $missing "console.sessionSecret" }}{{ end }}
{{- if $missing }}
{{- fail (printf "replicaCount > 1 or autoscaling.enabled needs %s (or keys admin-tokens and console-session-secret of existingSecret): each pod would generate its own admin token and console session key, and a console session signed in on one pod would not be recognised on another." (join " and " $missing)) }}
{{- end }}
{{- end }}
{{- $oidcSet := list }}
{{- $oidcUnset := list }}
{{- range $name, $given := dict "console.oidc.issuer" $oidc.issuer "console.oidc.clientId" $oidc.clientId "console.oidc.adminValues" $oidc.adminValues }}
{{- if $given }}{{ $oidcSet = append $oidcSet $name }}{{ else }}{{ $oidcUnset = append $oidcUnset $name }}{{ end }}
{{- end }}
{{- if and $oidcSet $oidcUnset }}
{{- fail (printf "OIDC sign-in to the console is incomplete: %s set but %s empty. Set console.oidc.issuer, clientId and adminValues together, or clear them for token sign-in only." (join ", " $oidcSet) (join ", " $oidcUnset)) }}
{{- end }}
{{- if not $oidc.issuer }}
{{- $orphans := list }}
{{- range $name, $given := dict "console.oidc.clientSecret" (and $oidc.clientSecret (not .Values.existingSecret)) "console.oidc.redirectUrl" $oidc.redirectUrl }}
{{- if $given }}{{ $orphans = append $orphans $name }}{{ end }}
{{- end }}
{{- if $orphans }}
{{- fail (printf "%s is set but console.oidc.issuer is empty: set console.oidc.issuer, clientId and adminValues too, or clear it." (join ", " $orphans)) }}
{{- end }}
{{- end }}
{{- if .Values.existingSecret }}
{{- $ignored := list }}
{{- range $name, $given := dict "auth.scimTokens" .Values.auth.scimTokens "operators.adminTokens" .Values.operators.adminTokens "console.sessionSecret" $console.sessionSecret "console.oidc.clientSecret" $oidc.clientSecret "dynatrace.clientSecret" $dt.clientSecret "database.url" .Values.database.url "davisAssistant.token" .Values.davisAssistant.token "metrics.token" .Values.metrics.token "proxy.httpsProxy" .Values.proxy.httpsProxy "proxy.httpProxy" .Values.proxy.httpProxy }}
{{- if $given }}{{ $ignored = append $ignored $name }}{{ end }}
{{- end }}
{{- if $ignored }}
{{- fail (printf "existingSecret is set, so %s would be ignored: put it in that Secret (keys in the chart's README) and clear it here." (join ", " $ignored)) }}
{{- end }}
{{- else }}
{{- if and .Values.database.enabled (not .Values.database.url) }}
{{- fail "database.enabled needs database.url (postgres://user:password@host:5432/db) or existingSecret with key database-url." }}
{{- end }}
{{- if and $dt.accountUuid (not $dt.clientSecret) }}
{{- fail "dynatrace.accountUuid needs dynatrace.clientSecret (or existingSecret with key dt-client-secret)." }}
{{- end }}
{{- if and .Values.davisAssistant.enabled (not .Values.davisAssistant.token) }}
{{- fail "davisAssistant.enabled needs davisAssistant.token (or existingSecret with key davis-assistant-token)." }}
{{- end }}
{{- if and .Values.metrics.requireToken (not .Values.metrics.token) }}
{{- fail "metrics.requireToken needs metrics.token (or existingSecret with key metrics-token)." }}
{{- end }}
{{- end }}
{{- if and (not .Values.davisAssistant.enabled) .Values.davisAssistant.token }}
{{- fail "davisAssistant.token is set but davisAssistant.enabled is false: enable it, or clear the token." }}
{{- end }}
{{- $jwt := .Values.auth.jwt }}
{{- if and $jwt.enabled (or (not $jwt.jwksUrl) (not $jwt.issuer) (not $jwt.audiences)) }}
{{- fail "auth.jwt.enabled needs auth.jwt.jwksUrl, auth.jwt.issuer and at least one of auth.jwt.audiences." }}
{{- end }}
{{- if and .Values.mapping.content .Values.mapping.existingConfigMap }}
{{- fail "mapping.content and mapping.existingConfigMap are both set: choose one (inline, or your own ConfigMap)." }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.hosts) }}
{{- fail "ingress.enabled needs ingress.hosts: at least one host name (e.g. scim.example.com), the address Okta or Entra ID calls." }}
{{- end }}
{{- range $name := list "serviceMonitor" "prometheusRule" "grafanaDashboard" }}
{{- if and (index $.Values $name).enabled (not $.Values.metrics.enabled) }}
{{- fail (printf "%s.enabled needs metrics.enabled: without /metrics there is nothing to scrape, alert on or show." $name) }}
{{- end }}
{{- end }}
{{- if and .Values.metrics.requireToken (not .Values.metrics.enabled) }}
{{- fail "metrics.requireToken is set but metrics.enabled is false: enable metrics, or clear metrics.requireToken." }}
{{- end }}
{{- end }}
