{{- define "myloware.name" -}}{{ .Chart.Name }}{{- end -}}

{{- define "myloware.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "myloware.labels" -}}
app.kubernetes.io/name: {{ include "myloware.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "myloware.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "myloware.secretName" -}}
{{ .Values.secrets.existingSecret | default (printf "%s-secrets" (include "myloware.fullname" .)) }}
{{- end -}}

{{/* Environment of every role: the ConfigMap and the Secret, all MYLOWARE_* names. */}}
{{- define "myloware.envFrom" -}}
- configMapRef:
    name: {{ include "myloware.fullname" . }}-config
- secretRef:
    name: {{ include "myloware.secretName" . }}
{{- end -}}

{{- define "myloware.volumes" -}}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ .Values.persistence.existingClaim | default (printf "%s-data" (include "myloware.fullname" .)) }}
{{- else }}
  emptyDir: {}
{{- end }}
- name: tmp
  emptyDir: {}
{{- end -}}

{{- define "myloware.volumeMounts" -}}
- name: data
  mountPath: {{ .Values.dataDir }}
- name: tmp
  mountPath: /tmp
{{- end -}}
