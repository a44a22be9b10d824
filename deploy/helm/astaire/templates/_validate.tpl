{{/*
The chain checked as `astaire k8s render` checks it, so that nothing render refuses installs
through the chart: (dict "chain" CHAIN "root" $). values.schema.json checks `chain` from values
before any template runs; this also covers `chainYaml`, which the schema cannot see into, and
what a schema cannot say (references between functions, chains and rules, duplicates, names
with the release prefix). Messages name the field as render does, under "chain.".
*/}}
{{- define "astaire.validate" -}}
{{- $c := .chain -}}
{{- $root := .root -}}
{{- $release := $root.Release.Name -}}
{{- $dns1035 := "^[a-z]([-a-z0-9]*[a-z0-9])?$" -}}
{{- if not (regexMatch $dns1035 $release) -}}
{{- fail (printf "release name '%s' is not a valid Kubernetes name: it prefixes every object (DNS-1035: a lower-case letter first, then lower-case letters, digits or '-', a letter or digit last)" $release) -}}
{{- end -}}
{{- if gt (len $release) 46 -}}
{{- fail (printf "release name '%s' is too long: object names such as '%s-controller-token' would exceed 63 characters (keep it at most 46)" $release $release) -}}
{{- end -}}
{{- include "astaire.knownKeys" (dict "map" $c "at" "chain" "keys" (list "functions" "chains" "rules" "ingress" "egress" "defaultChain")) -}}
{{- $reserved := list "ingress" "egress" "controller" "controller-data" "controller-token" "node-token" "chain" "functions" "dnsmasq" "kubernetes" -}}
{{- $functions := list -}}
{{- range $i, $f := (required "chain.functions is required" $c.functions) -}}
{{- $at := printf "chain.functions[%d]" $i -}}
{{- if not (kindIs "map" $f) -}}{{- fail (printf "%s: is empty" $at) -}}{{- end -}}
{{- include "astaire.knownKeys" (dict "map" $f "at" $at "keys" (list "name" "kind" "config" "address" "replicas")) -}}
{{- $name := toString (required (printf "%s.name is required" $at) $f.name) -}}
{{- if not (regexMatch $dns1035 $name) -}}
{{- fail (printf "%s.name: '%s' is not a valid Kubernetes name for a function name (DNS-1035: a lower-case letter first, then lower-case letters, digits or '-', a letter or digit last)" $at $name) -}}
{{- end -}}
{{- if has $name $reserved -}}
{{- fail (printf "%s.name: '%s' is reserved for Astaire's own Kubernetes objects%s; rename the function" $at $name (ternary " and the cluster's API server Service" "" (eq $name "kubernetes"))) -}}
{{- end -}}
{{- if gt (len (printf "%s-%s" $release $name)) 63 -}}
{{- fail (printf "%s.name: '%s' makes the object name '%s-%s' longer than 63 characters; shorten the function or the release name" $at $name $release $name) -}}
{{- end -}}
{{- if has $name $functions -}}
{{- fail (printf "%s.name: '%s' is declared twice" $at $name) -}}
{{- end -}}
{{- $functions = append $functions $name -}}
{{- $_ := required (printf "%s.kind is required (a built-in such as acl, counter, passthrough, or a user function's name)" $at) $f.kind -}}
{{- $address := toString (required (printf "%s.address is required (host:port where the function listens)" $at) $f.address) -}}
{{- $port := include "astaire.port" $address | int -}}
{{- if or (lt $port 1) (gt $port 65535) -}}
{{- fail (printf "%s.address: port %d is out of range 1-65535" $at $port) -}}
{{- end -}}
{{- $replicas := include "astaire.replicas" (dict "f" $f "root" $root) -}}
{{- if not (regexMatch "^[0-9]+$" $replicas) -}}
{{- fail (printf "%s.replicas: must be a whole number, was %s" $at $replicas) -}}
{{- end -}}
{{- if lt ($replicas | int) 1 -}}
{{- fail (printf "%s.replicas: must be at least 1, was %s (replicas.%s or the chain's replicas)" $at $replicas $name) -}}
{{- end -}}
{{- end -}}
{{- range $name, $_ := $root.Values.replicas -}}
{{- if not (has $name $functions) -}}
{{- fail (printf "replicas.%s: '%s' is not a function of the chain (it has: %s)" $name $name (join ", " $functions)) -}}
{{- end -}}
{{- end -}}
{{- $chains := list -}}
{{- $spis := list -}}
{{- range $i, $ch := ($c.chains | default list) -}}
{{- $at := printf "chain.chains[%d]" $i -}}
{{- if not (kindIs "map" $ch) -}}{{- fail (printf "%s: is empty" $at) -}}{{- end -}}
{{- include "astaire.knownKeys" (dict "map" $ch "at" $at "keys" (list "name" "spi" "symmetric" "functions")) -}}
{{- $name := toString (required (printf "%s.name is required" $at) $ch.name) -}}
{{- if has $name $chains -}}{{- fail (printf "%s.name: '%s' is declared twice" $at $name) -}}{{- end -}}
{{- $chains = append $chains $name -}}
{{- if hasKey $ch "spi" -}}
{{- $spi := $ch.spi | int -}}
{{- if or (lt $spi 1) (gt $spi 8388607) -}}
{{- fail (printf "%s.spi: must be within 1-8388607 (the top bit marks reverse paths), was %v" $at $ch.spi) -}}
{{- end -}}
{{- if has $spi $spis -}}{{- fail (printf "%s.spi: %d is used by another chain" $at $spi) -}}{{- end -}}
{{- $spis = append $spis $spi -}}
{{- end -}}
{{- if not $ch.functions -}}{{- fail (printf "%s.functions: lists no function" $at) -}}{{- end -}}
{{- range $j, $fn := $ch.functions -}}
{{- if not (has (toString $fn) $functions) -}}
{{- fail (printf "%s.functions[%d]: '%s' is not a declared function" $at $j (toString $fn)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $i, $r := ($c.rules | default list) -}}
{{- $at := printf "chain.rules[%d]" $i -}}
{{- if not (kindIs "map" $r) -}}{{- fail (printf "%s: is empty" $at) -}}{{- end -}}
{{- include "astaire.knownKeys" (dict "map" $r "at" $at "keys" (list "name" "priority" "protocol" "source" "destination" "sourcePorts" "destinationPorts" "chain")) -}}
{{- $chain := toString (required (printf "%s.chain is required" $at) $r.chain) -}}
{{- if not (has $chain $chains) -}}{{- fail (printf "%s.chain: '%s' is not a declared chain" $at $chain) -}}{{- end -}}
{{- end -}}
{{- range $edge := list "ingress" "egress" -}}
{{- with index $c $edge -}}
{{- include "astaire.knownKeys" (dict "map" . "at" (printf "chain.%s" $edge) "keys" (list "address")) -}}
{{- end -}}
{{- end -}}
{{- if and $chains (not (and $c.egress $c.egress.address)) -}}
{{- fail "chain.egress.address: is required: every path ends at the egress" -}}
{{- end -}}
{{- if and $c.defaultChain (not (has (toString $c.defaultChain) $chains)) -}}
{{- fail (printf "chain.defaultChain: '%s' is not a declared chain" (toString $c.defaultChain)) -}}
{{- end -}}
{{- end -}}

{{/* Refuses a key the model does not know: (dict "map" M "at" FIELD "keys" LIST) */}}
{{- define "astaire.knownKeys" -}}
{{- range $k, $_ := .map -}}
{{- if not (has $k $.keys) -}}
{{- fail (printf "%s.%s: unknown field (known: %s)" $.at $k (join ", " $.keys)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
