// ServerlessGenServer on Azure: one resource group with a Flex Consumption function app, its
// storage account (the Durable Task backend and the deployment package), monitoring and a
// user-assigned identity. No keys: storage and telemetry are reached with Entra ID tokens.
// Deploy with `azd up`, or `az deployment sub create` (see docs/deploy.md).
targetScope = 'subscription'

@description('Name of the azd environment; it seeds the resource names and is tagged on every resource.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of every resource; it must offer the Flex Consumption plan.')
@minLength(1)
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user or service principal (azd fills it in). It gets data roles only when grantDeployerDataRoles is true.')
param principalId string = ''

@description('Grant principalId the app\'s data roles on storage (read and write every GenServer\'s state), for debugging against the cloud. Off by default: least privilege.')
param grantDeployerDataRoles bool = false

@description('Kind of principal principalId names.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Memory of one Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on the number of instances the app scales out to (caps the bill under load).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('App setting TASKHUB_NAME: the Durable Task hub (names the queues, tables and blob containers of the backend).')
@minLength(3)
@maxLength(45)
param TASKHUB_NAME string = 'genserver'

@description('App setting RateLimiter__Capacity: tokens a rate-limiter bucket holds when full (1 to 1,000,000, as the app validates).')
@minValue(1)
@maxValue(1000000)
param RateLimiter__Capacity int = 10

@description('App setting RateLimiter__RefillPerSecond, in thousandths of a token per second (2000 = 2 tokens/s, 500 = 0.5; 0 = a fixed quota; at most 1,000,000 tokens/s). An integer so that Bicep can bound it.')
@minValue(0)
@maxValue(1000000000)
param RateLimiter__RefillPerSecondMilli int = 2000

@description('App setting RateLimiter__Shards: number of rate-limiter entities the keys are spread over (1 to 1,024).')
@minValue(1)
@maxValue(1024)
param RateLimiter__Shards int = 16

@description('App setting RateLimiter__MaxKeysPerShard: bound on the buckets one shard keeps (1 to 100,000).')
@minValue(1)
@maxValue(100000)
param RateLimiter__MaxKeysPerShard int = 10000

@description('App setting RateLimiter__Local__DenialCache: each worker answers a key from the shard\'s last level until its exact retry time.')
param RateLimiter__Local__DenialCache bool = true

@description('App setting RateLimiter__Local__Grants: each worker takes grants of tokens for hot keys and admits from them in memory.')
param RateLimiter__Local__Grants bool = true

@description('App setting RateLimiter__Local__MaxGrant: the most tokens one grant asks for.')
@minValue(1)
param RateLimiter__Local__MaxGrant int = 100

@description('App setting RateLimiter__Local__GrantLifetime: how long a grant holds (a TimeSpan); a dead worker\'s grant is released after it.')
param RateLimiter__Local__GrantLifetime string = '00:00:05'

@description('App setting RATELIMITER_REFILL_SCHEDULE: NCRONTAB (six fields, with seconds) of the timer that compacts rate-limiter shards.')
param RATELIMITER_REFILL_SCHEDULE string = '0 */5 * * * *'

@description('App setting TIMER_WATCHDOG_SCHEDULE: NCRONTAB (six fields, with seconds) of the timer that re-arms GenServer timers whose firing was lost.')
param TIMER_WATCHDOG_SCHEDULE string = '0 */5 * * * *'

@description('App setting Cache__MaxEntries: bound on the entries the cache GenServer keeps (1 to 100,000).')
@minValue(1)
@maxValue(100000)
param Cache__MaxEntries int = 1000

@description('App setting Cache__MaxValueBytes: the largest cached value, in bytes of JSON (16 to 1,048,576).')
@minValue(16)
@maxValue(1048576)
param Cache__MaxValueBytes int = 1024

@description('App setting Cache__MaxStateBytes: bound on the cache\'s whole state, in characters (16,384 to 4,194,304; at least Cache__MaxValueBytes).')
@minValue(16384)
@maxValue(4194304)
param Cache__MaxStateBytes int = 28672

@description('App setting OperatorApi__Enabled: serve the operator routes (GET and DELETE /api/servers/{server}/{key}, GET /api/servers/{server}), which need the admin key. Off by default in Azure.')
param OperatorApi__Enabled bool = false

@description('Resource id of an existing subnet (delegated to Microsoft.App/environments, with the Microsoft.Storage service endpoint) for the app\'s VNet integration. Given: the storage account denies every other network (defaultAction Deny). Empty (the default): storage accepts any network, Entra ID tokens only.')
param appSubnetId string = ''

@description('App setting Idempotency__WindowMinutes: how long a GenServer remembers an Idempotency-Key (minutes).')
@minValue(1)
@maxValue(1440)
param Idempotency__WindowMinutes int = 30

@description('App setting SIGNAL_QUEUE_NAME: storage queue whose messages are turned into entity signals.')
@minLength(3)
@maxLength(63)
param SIGNAL_QUEUE_NAME string = 'genserver-signals'

@description('App setting ENTITY_CLEANUP_SCHEDULE: NCRONTAB (six fields, with seconds) of the timer that cleans up empty entities.')
param ENTITY_CLEANUP_SCHEDULE string = '0 0 3 * * *'

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
var applicationInsightsName = '${abbrs.insightsComponents}${resourceToken}'

var appSettings = {
  TASKHUB_NAME: TASKHUB_NAME
  RateLimiter__Capacity: string(RateLimiter__Capacity)
  RateLimiter__RefillPerSecond: '${RateLimiter__RefillPerSecondMilli / 1000}.${padLeft(string(RateLimiter__RefillPerSecondMilli % 1000), 3, '0')}'
  RateLimiter__Shards: string(RateLimiter__Shards)
  RateLimiter__MaxKeysPerShard: string(RateLimiter__MaxKeysPerShard)
  RateLimiter__Local__DenialCache: string(RateLimiter__Local__DenialCache)
  RateLimiter__Local__Grants: string(RateLimiter__Local__Grants)
  RateLimiter__Local__MaxGrant: string(RateLimiter__Local__MaxGrant)
  RateLimiter__Local__GrantLifetime: RateLimiter__Local__GrantLifetime
  RATELIMITER_REFILL_SCHEDULE: RATELIMITER_REFILL_SCHEDULE
  TIMER_WATCHDOG_SCHEDULE: TIMER_WATCHDOG_SCHEDULE
  Cache__MaxEntries: string(Cache__MaxEntries)
  Cache__MaxValueBytes: string(Cache__MaxValueBytes)
  Cache__MaxStateBytes: string(Cache__MaxStateBytes)
  OperatorApi__Enabled: string(OperatorApi__Enabled)
  Idempotency__WindowMinutes: string(Idempotency__WindowMinutes)
  SIGNAL_QUEUE_NAME: SIGNAL_QUEUE_NAME
  ENTITY_CLEANUP_SCHEDULE: ENTITY_CLEANUP_SCHEDULE
}

resource resourceGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    allowedSubnetId: appSubnetId
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module appRoles 'modules/role-assignments.bicep' = {
  name: 'app-roles'
  scope: resourceGroup
  params: {
    principalId: identity.outputs.principalId
    principalType: 'ServicePrincipal'
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
  }
  dependsOn: [
    storage
    monitoring
  ]
}

module deployerRoles 'modules/role-assignments.bicep' = if (grantDeployerDataRoles && !empty(principalId)) {
  name: 'deployer-roles'
  scope: resourceGroup
  params: {
    principalId: principalId
    principalType: principalType
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
  }
  dependsOn: [
    storage
    monitoring
  ]
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  params: {
    name: '${abbrs.webSitesFunctions}api-${resourceToken}'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    appSettings: appSettings
    subnetId: appSubnetId
  }
  // The host connects to storage with the identity as soon as it starts: grant the roles first.
  dependsOn: [
    appRoles
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output TASKHUB_NAME string = TASKHUB_NAME
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
