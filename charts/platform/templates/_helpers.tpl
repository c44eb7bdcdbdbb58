{{- define "platform.labels" -}}
app.kubernetes.io/part-of: platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "platform.secretName" -}}
{{ default (printf "%s-passwords" .Release.Name) .Values.existingSecret }}
{{- end }}

{{- define "platform.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{/* The INI file of one deployable, without secrets: those come as PLATFORM_ variables. */}}
{{- define "platform.config" -}}
{{- $root := index . 0 }}{{ $name := index . 1 }}{{ $d := index . 2 -}}
[api]
listen = http://0.0.0.0:{{ $d.port }}

[keystone_authtoken]
auth_url = http://{{ $root.Release.Name }}-identity:5000
www_authenticate_uri = http://{{ $root.Release.Name }}-identity:5000
username = {{ $name }}
project_name = service
region_name = {{ $root.Values.region }}
interface = internal
{{- if eq $name "identity" }}

[token]
key_repository = /var/lib/platform/identity-keys
{{- end }}
{{- if eq $name "image" }}

[glance_store]
filesystem_store_datadir = /var/lib/platform/images
{{- end }}
{{- if eq $name "volume" }}

[file]
volume_driver = file
volumes_dir = /var/lib/platform/volumes
{{- end }}
{{- if eq $name "scheduler" }}

[placement]
grpc_listen = http://0.0.0.0:{{ $root.Values.placement.grpcPort }}
{{- end }}
{{- if has $name (list "compute-api" "conductor" "compute-agent") }}

[placement]
grpc_url = http://{{ $root.Release.Name }}-scheduler:{{ $root.Values.placement.grpcPort }}
{{- end }}
{{- if eq $name "compute-agent" }}

[compute]
driver = {{ $root.Values.compute.driver }}
{{- if eq $root.Values.compute.driver "fake" }}

[fake]
host_count = {{ $root.Values.compute.fakeHostCount }}
{{- end }}
{{- end }}
{{- with $root.Values.telemetry.otlpEndpoint }}

[telemetry]
otlp_endpoint = {{ . }}
{{- end }}
{{- end }}

{{/* Secret-bearing settings of one deployable, as environment variables. */}}
{{- define "platform.secretEnv" -}}
{{- $root := index . 0 }}{{ $name := index . 1 }}{{ $d := index . 2 -}}
- name: RABBITMQ_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ include "platform.secretName" $root }}, key: rabbitmq } }
- name: PLATFORM_messaging__transport_url
  value: "rabbit://{{ $root.Values.messaging.user }}:$(RABBITMQ_PASSWORD)@{{ $root.Values.messaging.host }}:{{ $root.Values.messaging.port }}/{{ $root.Values.messaging.vhost }}"
- name: PLATFORM_keystone_authtoken__password
  valueFrom: { secretKeyRef: { name: {{ include "platform.secretName" $root }}, key: svc_{{ $name }} } }
{{- if $d.database }}
- name: DB_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ include "platform.secretName" $root }}, key: db_{{ $d.database }} } }
- name: PLATFORM_database__connection
  value: "mysql://{{ $d.database }}:$(DB_PASSWORD)@{{ $root.Values.database.host }}:{{ $root.Values.database.port }}/{{ $d.database }}"
{{- end }}
{{- end }}

{{/* The data volume a service mounts, if it has one: identity its keys, image its store, volume its file backend. */}}
{{- define "platform.dataVolume" -}}
{{- $root := index . 0 }}{{ $name := index . 1 -}}
{{- if eq $name "identity" -}}
{ name: data, claim: {{ default (printf "%s-identity-keys" $root.Release.Name) $root.Values.identity.keys.existingClaim }}, path: /var/lib/platform/identity-keys }
{{- else if eq $name "image" -}}
{ name: data, claim: {{ default (printf "%s-image-store" $root.Release.Name) $root.Values.imageStore.existingClaim }}, path: /var/lib/platform/images }
{{- else if eq $name "volume" -}}
{ name: data, claim: {{ default (printf "%s-volume-store" $root.Release.Name) $root.Values.volumeStore.existingClaim }}, path: /var/lib/platform/volumes }
{{- end -}}
{{- end }}
