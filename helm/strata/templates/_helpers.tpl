{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "strata.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Object names: the release name when it already contains the chart name
(`helm install strata helm/strata` gives "strata"), else release-chart.
*/}}
{{- define "strata.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "strata.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "strata.labels" -}}
helm.sh/chart: {{ include "strata.chart" . }}
{{ include "strata.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The labels selectors match on (immutable in a StatefulSet). */}}
{{- define "strata.selectorLabels" -}}
app.kubernetes.io/name: {{ include "strata.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The server's JSON config: .Values.config plus what the chart owns (listen,
metrics_listen, data_dir, and the admin TLS/token files when adminSecret is
set).
*/}}
{{- define "strata.config" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config "listen" (printf "0.0.0.0:%d" (int .Values.grpcPort)) }}
{{- $_ = set $config "metrics_listen" (printf "0.0.0.0:%d" (int .Values.metricsPort)) }}
{{- $_ = set $config "data_dir" "/var/lib/strata" }}
{{- with .Values.adminSecret }}
{{- if and .name .tls }}
{{- $_ = set $config "tls_cert_file" "/etc/strata/secrets/tls.crt" }}
{{- $_ = set $config "tls_key_file" "/etc/strata/secrets/tls.key" }}
{{- end }}
{{- if and .name .clientCA }}
{{- $_ = set $config "tls_client_ca_file" "/etc/strata/secrets/ca.crt" }}
{{- end }}
{{- if and .name .token }}
{{- $_ = set $config "admin_token_file" "/etc/strata/secrets/admin-token" }}
{{- end }}
{{- end }}
{{- toPrettyJson $config }}
{{- end }}
