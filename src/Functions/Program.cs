using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// Every non-2xx answer of every HTTP function is problem+json; faults get a correlation id (ErrorContract).
builder.UseMiddleware<ErrorContractMiddleware>();
builder.Services.AddSingleton<ErrorContract>();
builder.Services.AddOptions<OperatorApiOptions>().BindConfiguration(OperatorApiOptions.Section);

// Inputs, replies and entity state use the project's one JSON shape, the same as the engine tests use.
builder.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(GenServerJson.Options));
builder.Services.AddGenServers(builder.Configuration);
builder.Services.AddOptions<CallOptions>().Bind(builder.Configuration.GetSection(CallOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<GenServerClient>();

builder.Build().Run();
